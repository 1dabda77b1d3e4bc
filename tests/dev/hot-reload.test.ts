/**
 * Hot reload in `npm start`, on a temp copy of the sources (the real checkout is never edited):
 * a served string edited in the API source changes in a real browser without a manual restart;
 * an edit of the worker handler is used by the next job; with `--no-watch` the same edit is not
 * picked up (a second stack from the same copy, running beside the watching one, is the control:
 * by the time the watching one has reloaded, a watching stack would have too).
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnStack } from "../../scripts/dev/spawn-stack.ts";
import { chromiumMissing, launchChromium } from "../support/chromium.ts";
import type { Stack } from "../support/stack.ts";
import { until } from "../support/until.ts";
import { copySources, type SourceCopy } from "./support/source-copy.ts";
import { importAndProcess, sampleListings } from "./support/stack-jobs.ts";

const noBrowser = chromiumMissing;
if (noBrowser) console.log(`[tests/dev/hot-reload] browser test skipped: ${noBrowser}`);

const healthRoute = "services/api/src/routes/health-routes.ts";

describe("npm start hot reload", () => {
  let src: SourceCopy;
  let watching: Stack;
  let still: Stack;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  beforeAll(async () => {
    src = copySources();
    [watching, still] = await Promise.all([spawnStack({ root: src.root }), spawnStack({ root: src.root, args: ["--no-watch"] })]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([watching?.stop(), still?.stop()]);
    src?.remove();
  });

  const health = async (stack: Stack) => (await (await fetch(`${stack.api}/health`)).json()) as { status: string };

  /** The string /health serves now; each edit replaces it with a new one. */
  let served = "ok";
  const editServed = () => {
    const next = `reloaded-${Date.now()}`;
    src.edit(healthRoute, `status: "${served}" as`, `status: "${next}" as`);
    served = next;
    return next;
  };

  it("restarts the API on an edit, on the same URL, with one line (a broken save is reported); --no-watch does not pick the edit up", async () => {
    // A save that does not compile: one line saying so, and the next good save brings the API back.
    const file = join(src.root, healthRoute);
    const good = readFileSync(file, "utf8");
    const broke = watching.nextLine(/^reload: .*health-routes\.ts changed → failed after [\d.]+s: api/);
    writeFileSync(file, `${good}\nthis is not TypeScript (\n`);
    expect(await broke).toMatch(/fix and save again/);

    const reloaded = watching.nextLine(/^reload: .*health-routes\.ts changed → api restarted in [\d.]+s$/);
    const marker = `reloaded-${Date.now()}`;
    writeFileSync(file, good.replace(`status: "${served}" as`, `status: "${marker}" as`));
    served = marker;
    await reloaded;
    // Requests during the restart may fail; after the reload line, none do.
    expect((await health(watching)).status).toBe(marker);
    // The stack started with --no-watch, from the same sources, still serves the old code and printed no reload.
    expect((await health(still)).status).toBe("ok");
    expect(still.output()).not.toMatch(/^reload:/m);
  });

  it.skipIf(noBrowser)("shows an edited API string in the browser without a manual restart", async () => {
    browser = await launchChromium();
    const { context } = browser;
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${watching.api}/health`);
    expect(await page.locator("body").textContent()).toContain(`"${served}"`);

    const marker = editServed();
    await until(
      "the page to show the edited string",
      async () => {
        await page.reload();
        return (await page.locator("body").textContent())?.includes(marker);
      },
      90_000,
      { everyMs: 500, retryErrors: true },
    );
  });

  it("runs the next job on an edited worker handler", async () => {
    const listings = sampleListings(src.root);
    // A first job on the original handler leaves a warm child running the old code.
    const before = await importAndProcess(watching, listings[0]);
    expect(before.status).toBe("completed");

    const seen = join(src.root, "handler-invocations.txt");
    const recycled = watching.nextLine(/^reload: .*services\/worker\/src\/handler\.ts changed → worker children replaced/);
    // One save with the whole change (an editor's write): the export now goes through a wrapper.
    const handlerFile = join(src.root, "services/worker/src/handler.ts");
    const original = readFileSync(handlerFile, "utf8");
    if (!original.includes("export const handler = createSqsHandler(")) throw new Error("handler.ts changed shape; update this test");
    writeFileSync(
      handlerFile,
      `${original.replace("export const handler = createSqsHandler(", "const edited = createSqsHandler(")}
// Written by the edited handler only: the job ids of each batch it was given.
export const handler: typeof edited = async (event, context) => {
  (await import("node:fs")).appendFileSync(${JSON.stringify(seen)}, \`\${event.Records.map((r) => JSON.parse(r.body).jobId).join("\\n")}\\n\`);
  return edited(event, context);
};
`,
    );
    await recycled;

    const after = await importAndProcess(watching, listings[1]);
    expect(after.status).toBe("completed");
    expect(readFileSync(seen, "utf8").split("\n")).toContain(after.id);
    expect(readFileSync(seen, "utf8")).not.toContain(before.id);
    rmSync(seen, { force: true });
  });

  it("re-provisions on a pipeline.json change, and reports an invalid one without changing anything", async () => {
    const manifestFile = join(src.root, "pipeline.json");
    const original = readFileSync(manifestFile, "utf8");
    const localAwsPid = () => JSON.parse(readFileSync(join(watching.dataDir, "stack.json"), "utf8")).pids["local-aws"] as number;
    const before = localAwsPid();
    const refused = watching.nextLine(/^reload: pipeline\.json changed → failed after/);
    writeFileSync(manifestFile, original.replace('"queues"', '"queues-typo"'));
    expect(await refused).toMatch(/fix and save again/);
    // The local AWS was not restarted for a manifest that does not parse.
    expect(localAwsPid()).toBe(before);

    const reprovisioned = watching.nextLine(/^reload: pipeline\.json changed → local AWS re-provisioned in [\d.]+s$/);
    writeFileSync(manifestFile, original);
    await reprovisioned;
    expect(localAwsPid()).not.toBe(before);
    // The stack works on: the re-provisioned queues and the API still answer together.
    const deep = await fetch(`${watching.api}/health/deep`, { headers: { "X-API-Key": watching.apiKey } });
    expect(deep.status).toBe(200);
  });
});

/**
 * `docker compose up`, for real: builds the project's images from their Dockerfiles, brings up
 * compose.yaml unchanged (plus a test-only override that lets builds use the host's network),
 * runs `scripts/e2e.mjs` against the compose API, then shows the worker image — run with its own
 * entrypoint, its runtime client pulling from the event source mapping's Runtime API — doing what
 * AWS would:
 *   - a worker container killed mid-job loses nothing: once `up -d` brings it back, the job completes;
 *   - a record the handler returns in `batchItemFailures` comes back, and after `maxReceiveCount`
 *     receives it is in the DLQ.
 * Runs when a Docker engine answers, a compose command exists and every pinned image is present or
 * can be pulled (on machines without a registry, shared/compose-standins builds stand-ins under the
 * pinned names); otherwise it skips and says which is missing. Prints its timings.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { loadManifest, repoRoot, resourceNames } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComposeStack, composeSkipReason, startComposeStack } from "../support/compose-stack.ts";
import { run } from "../support/docker.ts";
import { until } from "../support/until.ts";

const manifest = loadManifest();
const names = resourceNames(manifest, { environment: "local" });
const workerSpec = Object.values(manifest.functions).find((f) => f.service === "worker")!;
const { maxReceiveCount } = manifest.queues[workerSpec.queue].deadLetter;
/**
 * The redelivery checks shorten the queue's visibility timeout (SetQueueAttributes, as an operator
 * could) so a redelivery takes seconds instead of pipeline.json's 12 minutes; what is checked —
 * redelivery after the timeout, the DLQ after maxReceiveCount — does not depend on its length.
 */
const testVisibilitySeconds = 20;

const skip = await composeSkipReason();
if (skip) console.log(`[compose e2e] skipped: ${skip}`);

let stack: ComposeStack | undefined;
let sqs: SQSClient;
const timings: [string, number][] = [];
let failed = false;

const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  try {
    return await work();
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    timings.push([label, Date.now() - started]);
  }
};

async function api<T = Record<string, unknown>>(method: string, path: string): Promise<T> {
  const res = await fetch(`${stack!.api}${path}`, { method, headers: { "X-API-Key": stack!.apiKey }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** The mapping's lines (one `invocation` per batch) and the handler's, from the worker containers. */
const workerLogs = () => stack!.logs(["event-source-mapping", "worker"]);

/** The mapping's long-poll wait (ESM_WAIT_TIME_SECONDS, default 20, like Lambda's pollers). */
const longPollSeconds = 20;
const afterLongPolls = () => new Promise((r) => setTimeout(r, (longPollSeconds + 5) * 1000));

/**
 * Shortens the queue's visibility timeout. A receive keeps the timeout that was in force when its
 * long poll began (moto fixes it then), so the polls waiting now must run out first: a bound set
 * by the protocol (the poll's own wait, counted by the SQS server), not a guess at machine speed.
 */
async function shortenVisibility(queueUrl: string): Promise<void> {
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: String(testVisibilitySeconds) } }));
  await afterLongPolls();
}

describe.skipIf(Boolean(skip))("docker compose up (real engine, real Dockerfiles)", () => {
  beforeAll(async () => {
    try {
      stack = await startComposeStack();
    } catch (error) {
      failed = true;
      throw error;
    }
    timings.push(...stack.timings);
    sqs = new SQSClient({
      endpoint: stack.localstack,
      region: manifest.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
  }, 60 * 60_000);

  afterAll(async () => {
    if (!stack) return;
    if (failed)
      console.log(
        `[compose e2e] logs of the failed run:\n${(await stack.dc(["logs", "--no-color", "--tail", "150"], 60_000)).stdout.slice(-30_000)}`,
      );
    await stack.stop();
    sqs?.destroy();
    console.log(
      `[compose e2e] timings\n| step | seconds |\n|---|---:|\n${timings.map(([l, ms]) => `| ${l} | ${(ms / 1000).toFixed(1)} |`).join("\n")}`,
    );
  }, 10 * 60_000);

  it(
    "runs the whole flow: every sample listing imported, processed by the worker image's handler, cut-out checked",
    async () => {
      const out = await timed(
        "flow (scripts/e2e.mjs, 4 listings at once)",
        () =>
          new Promise<{ code: number | null; text: string }>((done) => {
            const child = spawn(
              process.execPath,
              [
                resolve(repoRoot, "node_modules/zx/build/cli.js"),
                resolve(repoRoot, "scripts/e2e.mjs"),
                "--api",
                stack!.api,
                "--api-key",
                stack!.apiKey,
                "--json",
                "--timeout",
                "900",
              ],
              { cwd: repoRoot, env: { ...process.env, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] },
            );
            let text = "";
            child.stdout.on("data", (d) => (text += d));
            child.stderr.on("data", (d) => (text += d));
            child.on("exit", (code) => done({ code, text }));
          }),
      );
      console.log(
        `[compose e2e] scripts/e2e.mjs against compose:\n${out.text
          .split("\n")
          .filter((l) => l.startsWith("|") || l.startsWith("median"))
          .join("\n")}`,
      );
      failed ||= out.code !== 0;
      expect(out.code, out.text).toBe(0);
      const results = JSON.parse(out.text.split("\n").findLast((l) => l.startsWith("[")) ?? "[]") as { ok: boolean; width: number }[];
      expect(results.length).toBeGreaterThanOrEqual(4);
      for (const r of results) expect(r).toMatchObject({ ok: true, width: expect.any(Number) });
      // The image's Lambda handler did the work, run by its own runtime client through the
      // mapping's Runtime API (not the sqs-consumer poller, not a child process of the mapping).
      const logs = await workerLogs();
      expect(logs).toContain('"service":"event-source-mapping"');
      expect(logs).toMatch(/"message":"invocation".*"outcome":"success"/);
      expect(logs).not.toContain('"service":"image-worker-poller"');
      const handlerLines = (await stack!.logs("worker")).split("\n").filter((l) => l.includes('"service":"image-worker"'));
      expect(handlerLines.length).toBeGreaterThan(0);
      // The worker service as compose runs it: the image's own entrypoint and command.
      const config = await stack!.dcOk(["config"]);
      const worker = config.slice(config.indexOf("\n  worker:"));
      expect(worker).not.toMatch(/^\s+entrypoint:/m);
      const inspect = await run("docker", [
        "inspect",
        "-f",
        "{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Memory}} {{.Config.User}}",
        ...(await stack!.dcOk(["ps", "-q", "worker"])).trim().split("\n"),
      ]);
      for (const line of inspect.stdout.trim().split("\n"))
        expect(line).toBe(`["/lambda-entrypoint.sh"] ["handler.handler"] true ${1769 * 1024 * 1024} 1000:1000`);
    },
    30 * 60_000,
  );

  it(
    "loses nothing when the worker container is killed mid-job: after up -d the job completes",
    async () => {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: names.queue(workerSpec.queue) }));
      await shortenVisibility(QueueUrl!);
      const books = (await api<{ items: { id: string }[] }>("GET", "/api/v1/books?limit=10")).items;
      expect(books.length).toBeGreaterThan(0);
      let killedJob: string | undefined;
      await timed("kill mid-job → up -d → job completed", async () => {
        // A job can finish before the kill lands; then try the next book.
        for (const { id } of books) {
          const book = await api<{ photos: { id: string; isPrimary: boolean }[] }>("GET", `/api/v1/books/${id}`);
          const primary = book.photos.find((p) => p.isPrimary)!;
          const job = await api<{ id: string }>("POST", `/api/v1/books/${id}/images/${primary.id}/process`);
          await until(
            `job ${job.id} processing`,
            async () => {
              const { status } = await api<{ status: string }>("GET", `/api/v1/image-jobs/${job.id}`);
              if (status === "completed" || status === "failed") throw new Error(`job ended (${status}) before it was seen processing`);
              return status === "processing" ? true : undefined;
            },
            5 * 60_000,
            { everyMs: 200 },
          ).catch(() => false);
          // Every worker container (one per concurrency slot): whichever runs the job dies.
          const containers = (await stack!.dcOk(["ps", "-q", "worker"])).trim().split("\n");
          await run("docker", ["kill", ...containers]);
          const { status } = await api<{ status: string }>("GET", `/api/v1/image-jobs/${job.id}`);
          if (status === "processing") {
            killedJob = job.id;
            break;
          }
          await stack!.dcOk(["up", "-d", "--no-build", "--no-deps", "worker"]);
          // A killed consumer's long poll stays open at the SQS server and takes (hides) the next
          // message sent before it runs out; the next job waits for that.
          await afterLongPolls();
        }
        expect(killedJob, "no job was caught processing when the worker was killed").toBeDefined();
        await stack!.dcOk(["up", "-d", "--no-build", "--no-deps", "worker"]);
        const done = await until(
          `job ${killedJob} completed after the restart`,
          async () => {
            const job = await api<{ status: string; attempts: number; lastError: string | null }>("GET", `/api/v1/image-jobs/${killedJob}`);
            if (job.status === "failed") throw new Error(`job failed: ${job.lastError}`);
            return job.status === "completed" ? job : undefined;
          },
          (testVisibilitySeconds + 600) * 1000,
          { everyMs: 1_000 },
        );
        // The killed attempt and the one that finished it.
        expect(done.attempts).toBeGreaterThanOrEqual(2);
      });
      // Every job of the stack ends, and ends completed (a retry above may have started another).
      const jobs = await until(
        "every job terminal",
        async () => {
          const { items } = await api<{ items: { id: string; status: string }[] }>("GET", "/api/v1/image-jobs?limit=100");
          return items.every((j) => j.status === "completed" || j.status === "failed") ? items : undefined;
        },
        10 * 60_000,
        { everyMs: 1_000 },
      );
      expect(jobs.filter((j) => j.status !== "completed")).toEqual([]);
    },
    30 * 60_000,
  );

  it(
    "redelivers a record the handler returns in batchItemFailures, and dead-letters it after maxReceiveCount",
    async () => {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: names.queue(workerSpec.queue) }));
      const { QueueUrl: dlqUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: names.dlq(workerSpec.queue) }));
      await shortenVisibility(QueueUrl!);
      // Not a job message (fails the message schema): the handler reports it as a failed record.
      const body = JSON.stringify({ v: 1, note: "compose test: not a job" });
      const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
      await timed(`failed record → DLQ (maxReceiveCount ${maxReceiveCount}, visibility ${testVisibilitySeconds}s)`, async () => {
        const dead = await until(
          "the failed record in the DLQ",
          async () => {
            const { Messages = [] } = await sqs.send(
              new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 5, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
            );
            return Messages.find((m) => m.Body === body);
          },
          (maxReceiveCount + 2) * (testVisibilitySeconds + 30) * 1000,
          { everyMs: 0 },
        );
        expect(dead.Body).toBe(body);
      });
      // Each receive was one invocation of the handler that kept the record (logged by the mapping).
      const kept = (await workerLogs()).split("\n").filter((l) => l.includes('"message":"invocation"') && l.includes(MessageId!));
      expect(kept.length).toBe(maxReceiveCount);
      for (const line of kept) expect(line).toMatch(/"outcome":"partial"/);
    },
    30 * 60_000,
  );
});

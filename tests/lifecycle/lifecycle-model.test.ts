/**
 * Model-based test of the job and photo lifecycle (fast-check `commands` + `asyncModelRun`): random
 * interleavings of imports (two identical at once included), transient and permanent copy
 * failures, send failures, receives and claims, workers that crash before or after writing the
 * PNG (their message held until its visibility expires), completions, database cuts (every
 * connection terminated, alone or in the middle of another step), DLQ moves (the emulator's, after
 * maxReceiveCount receives, with the worker knowing that count or not), sweeps, redrives and
 * re-process requests — against the real database and the emulator, with a fast fake engine.
 *
 * After every run the pipeline is left to settle (faults off, held messages expired, the worker,
 * the sweep and re-imports run until nothing moves), and then:
 *   I1 every photo is copied, or failed with a reason;
 *   I2 every job ended: completed with its PNG in the bucket, or failed with a reason;
 *   I3 every job ended once (an audit trigger records every transition: completed is never left,
 *      failed only by a redrive, and no job is completed twice);
 *   I4 never two active jobs for one photo (checked after every step, too);
 *   I5 every message in the DLQ has its job failed;
 *   I6 nothing is re-sent after dead-lettering (no send is recorded for a failed job unless a
 *      redrive reset it first).
 *
 * Runs: LIFECYCLE_RUNS (default 6) × up to LIFECYCLE_STEPS commands (default 25). A failure prints
 * fast-check's seed and path; LIFECYCLE_SEED=<seed> [LIFECYCLE_PATH=<path>] replays it (steps that
 * race a database cut against another step replay the same commands, not the same timing).
 */
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { activeJobStatuses, parseImageJobMessage } from "@bluemoxon/core";
import fc from "fast-check";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importEbayListing, redriveDeadLetters, runRetrySweep } from "../../services/api/src/index.ts";
import { queueImageProcessing } from "../../services/api/src/jobs/queue-image-processing.ts";
import { nextItemId, writeListing } from "../api/support/write-listing.ts";
import { testDatabaseServer } from "../support/test-database.ts";
import { type LifecycleWorld, startLifecycleWorld } from "./support/lifecycle-world.ts";

const RUNS = Number(process.env.LIFECYCLE_RUNS ?? 6);
const STEPS = Number(process.env.LIFECYCLE_STEPS ?? 25);
const SEED = process.env.LIFECYCLE_SEED ? Number(process.env.LIFECYCLE_SEED) : undefined;
const PATH = process.env.LIFECYCLE_PATH || undefined;

/** What the commands need to know of the run so far (the real system holds the truth). */
interface Model {
  listings: string[];
  held: string[];
  /** Seconds added to the API's clock: backoffs, staleness and leases pass by moving it. */
  clock: number;
  steps: number;
}

interface Real {
  w: LifecycleWorld;
  /** The test's own connection (never cut): what the invariants are read through. */
  checker: ReturnType<typeof postgres>;
  cut(): Promise<void>;
  errors: string[];
}

const now = (m: Model) => new Date(Date.now() + m.clock * 1000);
/** A step may fail (a cut, a fault): the system must recover, so errors are recorded, not thrown. */
async function tolerate(r: Real, what: string, step: () => Promise<unknown>) {
  try {
    await step();
  } catch (error) {
    r.errors.push(`${what}: ${(error as Error).message}`.slice(0, 200));
  }
}
async function checkOneActive(r: Real) {
  const dup = await r.checker`
    SELECT image_id FROM image_jobs WHERE status IN ${r.checker(activeJobStatuses as string[])} GROUP BY image_id HAVING count(*) > 1`;
  expect(dup, "I4: two active jobs for one photo").toEqual([]);
}

type Cmd = fc.AsyncCommand<Model, Real>;
const cmd = (name: string, run: (m: Model, r: Real) => Promise<void>, check: (m: Model) => boolean = () => true): Cmd => ({
  check: (m) => check(m),
  async run(m, r) {
    m.steps++;
    await run(m, r);
    await checkOneActive(r);
  },
  toString: () => name,
});

const listingArb = fc.integer({ min: 0, max: 2 });
const commands = [
  listingArb.map((k) =>
    cmd(`import(${k})`, async (m, r) => tolerate(r, "import", () => importEbayListing(r.w.api(now(m)), url(m.listings[k]!)))),
  ),
  listingArb.map((k) =>
    cmd(`twoImportsAtOnce(${k})`, async (m, r) => {
      const deps = r.w.api(now(m));
      await Promise.all([
        tolerate(r, "import a", () => importEbayListing(deps, url(m.listings[k]!))),
        tolerate(r, "import b", () => importEbayListing(deps, url(m.listings[k]!))),
      ]);
    }),
  ),
  fc.integer({ min: 1, max: 4 }).map((n) =>
    cmd(`copyFaults(${n})`, async (_m, r) => {
      // 3 or more outlast the SDK's 3 attempts: a transient copy failure reaches the code.
      r.w.emulator.faults.add({ service: "s3", operation: "PutObject", count: n, error: { code: "SlowDown", status: 503 } });
    }),
  ),
  fc.integer({ min: 1, max: 4 }).map((n) =>
    cmd(`sendFaults(${n})`, async (_m, r) => {
      r.w.emulator.faults.add({ service: "sqs", operation: "SendMessage", count: n, error: { code: "InternalError", status: 500 } });
    }),
  ),
  fc
    .record({
      crash: fc.constantFrom(undefined, "before-png" as const, "after-png" as const),
      lost: fc.boolean(),
      knowsMax: fc.boolean(),
    })
    .map(({ crash, lost, knowsMax }) =>
      cmd(`work(${crash ?? "ok"}${crash && lost ? ",lost" : ""}${knowsMax ? "" : ",noMax"})`, async (m, r) => {
        await tolerate(r, "work", async () => {
          const out = await r.w.workOne({ crash, lost: Boolean(crash && lost), maxReceiveCount: knowsMax ? 5 : undefined });
          if (out?.heldHandle) m.held.push(out.heldHandle);
        });
      }),
    ),
  fc.record({ n: fc.integer({ min: 1, max: 6 }), knowsMax: fc.boolean() }).map(({ n, knowsMax }) =>
    cmd(`failingReceives(${n}${knowsMax ? "" : ",noMax"})`, async (_m, r) => {
      // A burst of records that fail (a transient error each): enough of them and SQS moves the message to the DLQ.
      for (let i = 0; i < n; i++)
        await tolerate(r, "work", () => r.w.workOne({ crash: "before-png", maxReceiveCount: knowsMax ? 5 : undefined }));
    }),
  ),
  fc.constant(
    cmd(
      "expireVisibility",
      async (m, r) => {
        for (const h of m.held.splice(0)) await r.w.expire(h);
      },
      (m) => m.held.length > 0,
    ),
  ),
  fc.constant(cmd("dbCut", async (_m, r) => tolerate(r, "cut", () => r.cut()))),
  listingArb.map((k) =>
    cmd(`dbCutDuringImport(${k})`, async (m, r) => {
      await Promise.all([
        tolerate(r, "import", () => importEbayListing(r.w.api(now(m)), url(m.listings[k]!))),
        tolerate(r, "cut", () => r.cut()),
      ]);
    }),
  ),
  fc.constant(
    cmd("dbCutDuringWork", async (_m, r) => {
      await Promise.all([tolerate(r, "work", () => r.w.workOne({ maxReceiveCount: 5 })), tolerate(r, "cut", () => r.cut())]);
    }),
  ),
  fc.constantFrom(11, 120, 700).map((s) =>
    cmd(`advance(${s}s)`, async (m) => {
      m.clock += s;
    }),
  ),
  fc.constant(cmd("sweep", async (m, r) => tolerate(r, "sweep", () => runRetrySweep(r.w.api(now(m)))))),
  fc.constant(cmd("redrive", async (m, r) => tolerate(r, "redrive", () => redriveDeadLetters(r.w.api(now(m)), { max: 20 })))),
  listingArb.map((k) =>
    cmd(`reprocess(${k})`, async (m, r) => {
      const [photo] = await r.checker<{ id: string }[]>`
        SELECT i.id FROM book_images i JOIN books b ON b.id = i.book_id WHERE b.source_item_id = ${m.listings[k]!} AND i.copy_status = 'copied' ORDER BY i.position LIMIT 1`;
      if (photo) await tolerate(r, "reprocess", () => queueImageProcessing(r.w.api(now(m)), { imageId: photo.id }));
    }),
  ),
];

const url = (id: string) => `https://www.ebay.com/itm/${id}`;

/** Faults off, held messages expired, then worker, sweep and re-imports until nothing moves. */
async function settle(m: Model, r: Real) {
  r.w.emulator.faults.clear();
  for (const h of m.held.splice(0)) await r.w.expire(h);
  for (let round = 0; round < 40; round++) {
    m.clock += 3 * 24 * 3600; // past every backoff, lease and staleness; the queue's retention (4 days) every other round
    // A connection the last cut killed fails one statement; the next round goes on.
    for (const id of m.listings) await tolerate(r, "settle import", () => importEbayListing(r.w.api(now(m)), url(id)));
    await tolerate(r, "settle sweep", () => runRetrySweep(r.w.api(now(m))));
    for (let i = 0; i < 50; i++) if (!(await r.w.workOne({ maxReceiveCount: 5 }).catch(() => ({})))) break;
    const [{ open }] = await r.checker<{ open: number }[]>`
      SELECT (SELECT count(*) FROM image_jobs WHERE status IN ${r.checker(activeJobStatuses as string[])})
           + (SELECT count(*) FROM book_images WHERE copy_status IN ('pending', 'copying', 'retryable'))::int AS open`;
    if (Number(open) === 0) {
      // The sweep's look at the DLQ, once more, so a message that arrived last is judged too.
      await runRetrySweep(r.w.api(now(m)));
      return;
    }
  }
  throw new Error("the pipeline did not settle within 40 rounds");
}

async function checkInvariants(m: Model, r: Real) {
  const sql = r.checker;
  const photos = await sql<{ id: string; copy_status: string; copy_error: string | null }[]>`
    SELECT i.id, i.copy_status, i.copy_error FROM book_images i JOIN books b ON b.id = i.book_id WHERE b.source_item_id IN ${sql(m.listings)}`;
  for (const p of photos) {
    expect(["copied", "failed"], `I1: photo ${p.id} is ${p.copy_status}`).toContain(p.copy_status);
    if (p.copy_status === "failed") expect(p.copy_error, `I1: photo ${p.id} failed without a reason`).toBeTruthy();
  }
  const jobs = await sql<{ id: string; status: string; last_error: string | null; processed_key: string | null }[]>`
    SELECT j.id, j.status, j.last_error, i.processed_key FROM image_jobs j JOIN book_images i ON i.id = j.image_id
    WHERE i.id IN ${sql(photos.map((p) => p.id).concat("00000000-0000-0000-0000-000000000000"))}`;
  for (const j of jobs) {
    expect(["completed", "failed"], `I2: job ${j.id} is ${j.status}`).toContain(j.status);
    if (j.status === "failed") expect(j.last_error, `I2: job ${j.id} failed without a reason`).toBeTruthy();
    if (j.status === "completed") {
      expect(j.processed_key, `I2: job ${j.id} completed without a cut-out`).toBeTruthy();
      await (r.w.worker.s3 as S3Client).send(new HeadObjectCommand({ Bucket: r.w.worker.bucket, Key: j.processed_key! }));
    }
  }
  const audit = await sql<
    { job_id: string; old_status: string; new_status: string; old_sends: number; new_sends: number; old_error: string | null }[]
  >`
    SELECT job_id, old_status, new_status, old_sends, new_sends, old_error FROM lifecycle_audit WHERE job_id IN ${sql(jobs.map((j) => j.id).concat("00000000-0000-0000-0000-000000000000"))} ORDER BY seq`;
  const completions = new Map<string, number>();
  for (const a of audit) {
    if (a.old_status === "completed") expect(a.new_status, `I3: job ${a.job_id} left completed`).toBe("completed");
    if (a.old_status === "failed" && a.new_status !== "failed")
      expect(a.new_status, `I3: job ${a.job_id} left failed other than by a redrive`).toBe("queued");
    if (a.new_status === "completed" && a.old_status !== "completed") completions.set(a.job_id, (completions.get(a.job_id) ?? 0) + 1);
    // I6: a dead-lettered job gets no send until a redrive resets it (that change is failed → queued and counts one send).
    if (a.old_status === "failed" && a.new_status === "failed" && a.new_sends > a.old_sends)
      throw new Error(`I6: job ${a.job_id} was re-sent after dead-lettering (${a.old_error})`);
  }
  for (const [id, n] of completions) expect(n, `I3: job ${id} completed ${n} times`).toBe(1);
  // I5: every message in the DLQ has its job failed (received to look, then visible again).
  const dlq = r.w.provisioned.queues["image-processing"]!.dlqUrl;
  const handles: string[] = [];
  for (;;) {
    const out = await r.w
      .api()
      .aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 30 }));
    if (!out.Messages?.length) break;
    for (const msg of out.Messages) {
      handles.push(msg.ReceiptHandle!);
      const { jobId } = parseImageJobMessage(msg.Body!);
      const [job] = await sql<{ status: string }[]>`SELECT status FROM image_jobs WHERE id = ${jobId}`;
      expect(job?.status, `I5: job ${jobId} has a message in the DLQ`).toBe("failed");
    }
  }
  for (const h of handles)
    await r.w.api().aws.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: dlq, ReceiptHandle: h, VisibilityTimeout: 0 }));
}

const { url: serverUrl, skipReason } = testDatabaseServer();
describe.skipIf(Boolean(skipReason))("the lifecycle under random interleavings (model-based)", () => {
  let w: LifecycleWorld;
  let admin: ReturnType<typeof postgres>;
  let checker: ReturnType<typeof postgres>;
  beforeAll(async () => {
    w = await startLifecycleWorld({ COPY_LEASE_SECONDS: "120" });
    admin = postgres(serverUrl!, { max: 1, onnotice: () => {} });
    checker = postgres(w.db.url, { max: 1, onnotice: () => {}, connection: { application_name: "lifecycle-checker" } });
    // Test-only audit of every job change: what I3 and I6 read.
    await w.db.sql.unsafe(`
      CREATE TABLE lifecycle_audit (seq bigserial PRIMARY KEY, job_id uuid, old_status text, new_status text, old_sends int, new_sends int, old_error text);
      CREATE FUNCTION lifecycle_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO lifecycle_audit (job_id, old_status, new_status, old_sends, new_sends, old_error)
        VALUES (NEW.id, OLD.status, NEW.status, OLD.send_attempts, NEW.send_attempts, OLD.last_error);
        RETURN NEW; END $$;
      CREATE TRIGGER lifecycle_audit AFTER UPDATE ON image_jobs FOR EACH ROW EXECUTE FUNCTION lifecycle_audit();`);
  }, 120_000);
  afterAll(async () => {
    await admin?.end({ timeout: 1 });
    await checker?.end({ timeout: 1 });
    await w?.close();
  });

  it(`keeps every invariant over ${RUNS} runs × up to ${STEPS} steps`, async () => {
    const dbName = new URL(w.db.url).pathname.slice(1);
    const stats = { runs: 0, steps: 0, tolerated: 0 };
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: STEPS, size: "max" }), async (cmds) => {
        w.emulator.faults.clear();
        // Drain what earlier runs left, so each run starts from empty queues.
        for (const q of [w.provisioned.queues["image-processing"]!.url, w.provisioned.queues["image-processing"]!.dlqUrl])
          for (;;) {
            const out = await w.api().aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: q, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
            if (!out.Messages?.length) break;
          }
        // Three listings: all good; one with a 404 photo first (a permanent copy failure); two photos.
        const listings = [nextItemId(), nextItemId(), nextItemId()];
        writeListing(w.listingsDir, listings[0]!, ["a.jpg"]);
        writeListing(w.listingsDir, listings[1]!, ["missing-front.jpg", "b.jpg"]);
        writeListing(w.listingsDir, listings[2]!, ["a.jpg", "b.jpg"]);
        const model: Model = { listings, held: [], clock: 0, steps: 0 };
        const real: Real = {
          w,
          checker,
          errors: [],
          async cut() {
            await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${dbName} AND application_name <> 'lifecycle-checker' AND pid <> pg_backend_pid()`;
          },
        };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await settle(model, real);
        await checkInvariants(model, real);
        stats.runs++;
        stats.steps += model.steps;
        stats.tolerated += real.errors.length;
      }),
      { numRuns: RUNS, seed: SEED, path: PATH, endOnFailure: true, verbose: 1 },
    );
    console.log(
      `[lifecycle-model] ${stats.runs} runs, ${stats.steps} steps (${(stats.steps / Math.max(1, stats.runs)).toFixed(1)} per run), ${stats.tolerated} step errors tolerated; invariants I1–I6 held`,
    );
  }, 600_000);
});

/**
 * The pipeline under faults: ≥ 100 imports through the API of a stack started like `npm start`
 * (real background removal under the emulator's SQS trigger, PostgreSQL over a URL with a
 * password, logs at debug), while the emulator fails a share of SQS sends and receives and S3
 * reads and writes, worker processes are SIGKILLed mid-batch, and the database cuts every
 * connection once. Then the sweep and redelivery run to quiescence, and the books, photos,
 * jobs, bucket and queues must reconcile — and no secret may be in any log or response.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { parseImageJobMessage, processedKey, unsettledCopyStatuses } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findLeaks, stackLogs, stackSecrets, type Text } from "../security/support/find-leaks.ts";
import { type CuttingProxy, startCuttingProxy } from "../support/cutting-proxy.ts";
import { type Stack, startStack } from "../support/stack.ts";
import { type EmulatorAdmin, emulatorAdmin } from "./support/emulator-admin.ts";
import { type GeneratedListing, generateListings } from "./support/generate-listings.ts";
import { createOwnDatabase, type OwnDatabase } from "./support/own-database.ts";

const LISTINGS = Number(process.env.CHAOS_LISTINGS ?? 100);
const BROKEN = Math.max(1, Math.round(LISTINGS / 25));
const IMPORT_CONCURRENCY = 4;
const QUEUE = "bluemoxon-local-image-processing";
const BUCKET = "bluemoxon-local-images";
/** Crashed batches come back after this (pipeline.json's 720 s would outlast the test). */
const VISIBILITY_SECONDS = 30;
/**
 * The budget for the sweep and redelivery to finish after the imports. Generous: the doomed jobs'
 * five receives each wait behind the whole visible backlog, and on a busy 2-core machine the
 * backlog alone took about 560 s once; quiescence ends the wait as soon as it comes.
 */
const QUIESCENCE_MS = Number(process.env.CHAOS_QUIESCENCE_SECONDS ?? 900) * 1000;
/** pipeline.json's maxReceiveCount for the image queue. */
const MAX_RECEIVES = 5;
/** Connection cuts inside the worker's completion, and jobs the sweep is made to race. */
const COMPLETION_CUTS = 3;
const SWEEP_RACES = 5;
/** Jobs whose source photo cannot be read until the faults end: they must be dead-lettered, once each. */
const DOOMED = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: OwnDatabase | undefined;
let proxy: CuttingProxy | undefined;
let stack: Stack | undefined;
let admin: EmulatorAdmin | undefined;
let skip: string | undefined;
let fixtureDir: string;
let listings: GeneratedListing[] = [];
/** Every response body the API sent the test, for the secrets check. */
const bodies: Text[] = [];

type Answer = { status: number; body: Record<string, unknown> | null };

async function call(method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${stack!.api}${path}`, {
    method,
    headers: { "x-api-key": stack!.apiKey, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  bodies.push({ source: `${method} ${path} → ${res.status}`, text });
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  const created = await createOwnDatabase();
  if ("skip" in created) {
    skip = created.skip;
    return;
  }
  db = created;
  proxy = await startCuttingProxy(db.url);
  fixtureDir = mkdtempSync(join(tmpdir(), "bmx-chaos-listings-"));
  listings = await generateListings(fixtureDir, { count: LISTINGS, broken: BROKEN });
  stack = await startStack({
    env: {
      // Through the proxy, so a connection can be cut at a chosen statement (role and password pass through).
      DATABASE_URL: proxy.url,
      EBAY_FIXTURE_DIR: fixtureDir,
      LOG_LEVEL: "debug",
      RETRY_SWEEP_INTERVAL_SECONDS: "2",
      RETRY_BACKOFF_SECONDS: "1",
      RETRY_BACKOFF_MAX_SECONDS: "4",
      // A job whose message was lost is re-sent after this; not lower, or a slow worker's backlog is re-sent over and over.
      JOB_STALE_SECONDS: "600",
      // The small model is real background removal too, and keeps the run within minutes on 2 cores.
      BG_MODEL: process.env.CHAOS_BG_MODEL ?? "small",
    },
  });
  admin = emulatorAdmin(stack.emulator, stack.dataDir);
  const queueUrl = await admin.queueUrl(QUEUE);
  await admin.aws.sqs.send(
    new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) } }),
  );
  // An idle trigger's long poll (20 s) still carries the old timeout; let it roll over first.
  await sleep(21_000);
}, 180_000);

afterAll(async () => {
  admin?.close();
  await stack?.stop();
  await proxy?.close();
  await db?.drop();
  if (fixtureDir) rmSync(fixtureDir, { recursive: true, force: true });
});

/** The worker's handler processes: children of the `local-aws` process. */
function workerPids(): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(stack!.pids["local-aws"])], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function jobCounts(): Promise<Record<string, number>> {
  const rows = await db!.sql<{ status: string; n: number }[]>`SELECT status, count(*)::int AS n FROM image_jobs GROUP BY status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

describe("chaos run", () => {
  it(`${LISTINGS} imports under SQS/S3 faults, worker kills and a database cut end reconciled`, async (ctx) => {
    if (skip) return ctx.skip(skip);
    const queueUrl = await admin!.queueUrl(QUEUE);
    const dlqUrl = await admin!.queueUrl(`${QUEUE}-dlq`);
    const results = new Map<string, Answer>();

    // Doomed jobs: their source photo cannot be read (S3 500s on every read, so transient failures)
    // until the faults end, so each must be marked dead-lettered at its last receive and reach the
    // DLQ exactly once. Every read fails while they are imported, so the worker cannot finish one
    // before its own fault is in place; then only their keys fail.
    const doomed = listings.filter((l) => !l.broken).slice(0, DOOMED);
    const doomedBooks = new Set<string>();
    const doomedFaults: string[] = [];
    const allReads = await admin!.addFault({ service: "s3", operation: "GetObject", resource: BUCKET });
    for (const l of doomed) {
      const res = await call("POST", "/api/v1/books/import/ebay", { url: `https://www.ebay.com/itm/${l.id}` });
      expect(res.status, `import of doomed listing ${l.id}`).toBe(201);
      const bookId = (res.body as { book: { id: string } }).book.id;
      doomedBooks.add(bookId);
      results.set(l.id, res);
      doomedFaults.push(await admin!.addFault({ service: "s3", operation: "GetObject", resource: BUCKET, keyPrefix: `books/${bookId}/` }));
    }
    await admin!.removeFault(allReads);

    // Failures that look like AWS's own 500s; the SDKs retry some away, the rest reach the code.
    await admin!.addFault({ service: "sqs", operation: "SendMessage", resource: QUEUE, rate: 0.5, count: 60 });
    await admin!.addFault({ service: "sqs", operation: "ReceiveMessage", resource: QUEUE, rate: 0.25, count: 40 });
    await admin!.addFault({ service: "s3", operation: "PutObject", rate: 0.25, count: 40 });
    await admin!.addFault({ service: "s3", operation: "GetObject", rate: 0.3, count: 40 });

    const tally = {
      importAttempts: 0,
      import5xx: 0,
      importNetworkErrors: 0,
      workerKills: 0,
      killRounds: 0,
      dbCut: 0,
      completionCuts: 0,
      sweepRaces: 0,
    };
    const raced = new Set<string>();
    // Cuts inside the worker's completion, one after another (each on a fresh connection's statement).
    let cutting = true;
    const cutter = (async () => {
      for (let i = 0; i < COMPLETION_CUTS && cutting; i++) {
        await proxy!.cutOn("UPDATE image_jobs SET status = 'completed'");
        tally.completionCuts = proxy!.cuts();
      }
    })();
    let importsDone = doomed.length;

    async function importOne(l: GeneratedListing) {
      let last = "";
      for (let attempt = 1; ; attempt++) {
        tally.importAttempts++;
        try {
          const res = await call("POST", "/api/v1/books/import/ebay", { url: `https://www.ebay.com/itm/${l.id}` });
          if (res.status < 500) {
            results.set(l.id, res);
            return;
          }
          tally.import5xx++;
          last = `${res.status} ${JSON.stringify(res.body).slice(0, 500)}`;
        } catch (error) {
          tally.importNetworkErrors++;
          last = (error as Error).message;
        }
        if (attempt >= 8) throw new Error(`import of ${l.id} kept failing; last answer: ${last}`);
        await sleep(500 * attempt);
      }
    }

    // The chaos monkey: kills the worker processes while a batch runs, cuts the database once.
    let importing = true;
    const monkey = (async () => {
      const killAt = [0.05, 0.15, 0.25, 0.4].map((f) => Math.round(f * LISTINGS));
      const started = Date.now();
      while (tally.killRounds < killAt.length && Date.now() - started < QUIESCENCE_MS) {
        await sleep(300);
        if (tally.dbCut === 0 && importsDone >= LISTINGS * 0.4) {
          tally.dbCut = await db!.cutConnections();
        }
        if (tally.sweepRaces < SWEEP_RACES && importsDone >= LISTINGS * 0.1) {
          // A worker is on this job right now; make it look older than JOB_STALE_SECONDS, so the
          // sweep (every 2 s) re-sends it while the worker is still processing it. Once per job:
          // aged again and again it would be re-sent until the sweep gives up on it.
          const [job] = await db!.sql<{ id: string }[]>`
            UPDATE image_jobs SET updated_at = now() - interval '2 hours'
            WHERE id = (SELECT id FROM image_jobs WHERE status = 'processing' AND started_at > now() - interval '20 seconds'
                        AND updated_at > now() - interval '1 hour' AND NOT (id = ANY(${[...raced]}::uuid[]))
                        ORDER BY started_at DESC LIMIT 1)
            RETURNING id`.catch(() => []);
          if (job && !raced.has(job.id)) {
            raced.add(job.id);
            tally.sweepRaces++;
          }
        }
        const counts = await jobCounts().catch(() => ({}) as Record<string, number>);
        const finished = (counts.completed ?? 0) + (counts.failed ?? 0);
        const open = Object.values(counts).reduce((a, b) => a + b, 0) - finished;
        if (!importing && open === 0 && tally.dbCut > 0) break;
        if (finished < killAt[tally.killRounds] || !counts.processing) continue;
        const pids = workerPids();
        if (pids.length === 0) continue;
        for (const pid of pids) {
          try {
            process.kill(pid, "SIGKILL");
            tally.workerKills++;
          } catch {}
        }
        tally.killRounds++;
      }
      while (importing && tally.dbCut === 0) await sleep(200);
      if (tally.dbCut === 0) tally.dbCut = await db!.cutConnections();
    })();

    const queue = listings.filter((l) => !doomed.includes(l));
    await Promise.all(
      Array.from({ length: IMPORT_CONCURRENCY }, async () => {
        for (let l = queue.shift(); l; l = queue.shift()) {
          await importOne(l);
          importsDone++;
        }
      }),
    );
    importing = false;
    await monkey;
    cutting = false;
    const faultsDuringRun = await admin!.faults();

    // Quiescence: faults off, the sweep and SQS redelivery finish the work; stragglers in the
    // DLQ are redriven (that is what a person would do after an outage). The doomed jobs' reads
    // keep failing until both are marked dead-lettered, however short the run was.
    for (const f of faultsDuringRun.faults) if (!doomedFaults.includes(f.id)) await admin!.removeFault(f.id);
    let doomedFaultsOn = true;
    const doomedMarked = new Set<string>();
    const deadline = Date.now() + QUIESCENCE_MS;
    let redriven = 0;
    let redriveRounds = 0;
    const dlqChecks: { inDlq: string[]; marked: string[]; unmarked: string[]; copies: number }[] = [];
    let swept = 0;
    let last = "";
    let lastProgress = Date.now();
    for (;;) {
      const counts = await jobCounts();
      if (doomedFaultsOn) {
        const marked = await db!.sql<{ id: string }[]>`
          SELECT j.id FROM image_jobs j JOIN book_images i ON i.id = j.image_id
          WHERE i.book_id = ANY(${[...doomedBooks]}::uuid[]) AND j.status = 'failed' AND j.last_error LIKE 'dead-lettered after %'`;
        for (const { id } of marked) doomedMarked.add(id);
        if (doomedMarked.size === doomedBooks.size) {
          for (const id of doomedFaults) await admin!.removeFault(id);
          doomedFaultsOn = false;
        }
      }
      // Copies still to be made or retried (a transient failure is retried by the sweep after its backoff).
      const pendingCopies = (
        await db!.sql`SELECT count(*)::int AS n FROM book_images WHERE copy_status IN ${db!.sql(unsettledCopyStatuses as string[])}`
      )[0].n;
      const [main, dlq] = await Promise.all([admin!.queueDepth(queueUrl), admin!.queueDepth(dlqUrl)]);
      const open = Object.entries(counts).filter(([s]) => s !== "completed" && s !== "failed");
      last = JSON.stringify({ counts, pendingCopies, main, dlq });
      if (
        !doomedFaultsOn &&
        open.length === 0 &&
        pendingCopies === 0 &&
        main.visible + main.inFlight + main.delayed === 0 &&
        dlq.visible + dlq.inFlight === 0
      )
        break;
      if (Date.now() > deadline) {
        // Reconcile anyway: the tallies show what is stuck and the assertions below name it.
        console.log(`no quiescence within ${QUIESCENCE_MS / 1000}s: ${last}`);
        break;
      }
      if (Date.now() - lastProgress > 30_000) {
        lastProgress = Date.now();
        console.log(`chaos run: waiting for quiescence ${last}`);
      }
      if (dlq.visible > 0) {
        // Before the redrive: every message in the DLQ belongs to a job marked dead-lettered, once.
        const inDlq = (await admin!.peek(dlqUrl)).map((b) => parseImageJobMessage(b).jobId);
        const marked = new Set(
          (
            await db!.sql<{ id: string }[]>`SELECT id FROM image_jobs WHERE status = 'failed' AND last_error LIKE 'dead-lettered after %'`
          ).map((r) => r.id),
        );
        dlqChecks.push({
          inDlq,
          marked: [...marked],
          unmarked: inDlq.filter((id) => !marked.has(id)),
          copies: inDlq.length - new Set(inDlq).size,
        });
        const moved = Number((await call("POST", "/api/v1/admin/image-jobs/redrive", {})).body?.moved ?? 0);
        redriven += moved;
        if (moved > 0) redriveRounds++;
      }
      if (open.some(([s]) => s === "queue_failed"))
        swept += Number((await call("POST", "/api/v1/admin/image-jobs/retry", {})).body?.requeued ?? 0);
      await sleep(3000);
    }

    // ── Reconcile ─────────────────────────────────────────────────────────────────────────────
    const books = await db!.sql<{ id: string; source_item_id: string }[]>`SELECT id, source_item_id FROM books`;
    const images = await db!.sql<
      {
        id: string;
        book_id: string;
        copy_status: string;
        copy_error: string | null;
        s3_key: string | null;
        is_primary: boolean;
        processed_key: string | null;
      }[]
    >`SELECT id, book_id, copy_status, copy_error, s3_key, is_primary, processed_key FROM book_images`;
    const jobs = await db!.sql<
      { id: string; image_id: string; status: string; last_error: string | null; attempts: number; send_attempts: number }[]
    >`
      SELECT id, image_id, status, last_error, attempts, send_attempts FROM image_jobs`;
    const keys = await admin!.listKeys(BUCKET);
    const originals = new Set(keys.filter((k) => /\/original\.[a-z]+$/.test(k)));
    const processed = new Set(keys.filter((k) => k.endsWith("/processed.png")));
    const copied = images.filter((i) => i.copy_status === "copied");
    const completed = jobs.filter((j) => j.status === "completed");
    const failed = jobs.filter((j) => j.status === "failed");
    const dlqLeft = await admin!.peek(dlqUrl);
    cutting = false;
    proxy!.disarm();
    await cutter;
    const logs = stackLogs(stack!.dataDir);
    const allText = [stack!.output(), ...logs.map((l) => l.text)].join("\n");
    const lostRaces = (allText.match(/lost the race/g) ?? []).length;
    const apiRestarts = (stack!.output().match(/api (was killed|exited with code)[^\n]*restarting/g) ?? []).length;
    const driverCrashes = (allText.match(/Cannot read properties of null \(reading 'write'\)/g) ?? []).length;
    const deadLettered = failed.filter((j) => j.last_error?.startsWith("dead-lettered after "));
    const inDlqEver = new Set(dlqChecks.flatMap((c) => c.inDlq));
    const markedEver = new Set(dlqChecks.flatMap((c) => c.marked));
    const doomedJobs = jobs.filter((j) => doomedBooks.has(images.find((i) => i.id === j.image_id)?.book_id ?? ""));
    // A job that ran had at least one message, even when the API lost the connection before it
    // recorded the send (send_attempts 0): the message proves the send.
    const overBudget = jobs.filter((j) => j.attempts > MAX_RECEIVES * (Math.max(j.send_attempts, 1) + redriveRounds));

    const report = {
      listings: LISTINGS,
      brokenPhotos: BROKEN,
      ...tally,
      faultsInjected: Object.fromEntries(
        faultsDuringRun.faults.map((f) => [`${f.service}:${f.operation}${f.keyPrefix ? `:${f.keyPrefix}` : ""}`, f.injected]),
      ),
      faultsTotal: faultsDuringRun.total,
      books: books.length,
      photos: images.length,
      photosCopied: copied.length,
      photosCopyFailed: images.filter((i) => i.copy_status === "failed").length,
      jobs: jobs.length,
      jobsCompleted: completed.length,
      jobsFailed: failed.length,
      jobsQueuedMoreThanOnce: jobs.filter((j) => j.send_attempts > 1).length,
      jobsProcessedMoreThanOnce: jobs.filter((j) => j.attempts > 1).length,
      s3Originals: originals.size,
      s3Processed: processed.size,
      sweptByEndpoint: swept,
      redriven,
      redriveRounds,
      dlqLeft: dlqLeft.length,
      dlqEntriesSeen: dlqChecks.reduce((n, c) => n + c.inDlq.length, 0),
      dlqEntriesNotMarkedDeadLettered: dlqChecks.reduce((n, c) => n + c.unmarked.length, 0),
      dlqDuplicateCopies: dlqChecks.reduce((n, c) => n + c.copies, 0),
      jobsDeadLetteredAtEnd: deadLettered.length,
      doomedJobs: doomedJobs.length,
      doomedJobsSeenInDlq: doomedJobs.filter((j) => inDlqEver.has(j.id)).length,
      jobsOverReceiveBudget: overBudget.length,
      racedJobsResentWhileProcessing: jobs.filter((j) => raced.has(j.id) && j.send_attempts > 1).length,
      lostRacesLogged: lostRaces,
      apiRestarts,
      driverCrashes,
    };
    console.log(`chaos run tallies:\n${JSON.stringify(report, null, 2)}`);
    console.log(`failed jobs' reasons: ${JSON.stringify([...new Set(failed.map((j) => j.last_error?.slice(0, 120)))])}`);

    // The faults really happened.
    expect(tally.killRounds).toBeGreaterThanOrEqual(3);
    expect(tally.dbCut).toBeGreaterThan(0);
    expect(tally.completionCuts).toBeGreaterThan(0);
    expect(tally.sweepRaces).toBeGreaterThan(0);
    // No process crashed on its own (the worker kills above are the test's): no API restart, no driver crash.
    expect({ apiRestarts, driverCrashes }).toEqual({ apiRestarts: 0, driverCrashes: 0 });
    // Every DLQ entry was a job marked dead-lettered, one copy per job (the sweep resurrects none).
    expect(dlqChecks.flatMap((c) => c.unmarked)).toEqual([]);
    expect(dlqChecks.reduce((n, c) => n + c.copies, 0)).toBe(0);
    // DLQ entries = jobs marked dead-lettered: the doomed jobs got there (so this was exercised),
    // and no job was marked dead-lettered without its message reaching the DLQ.
    expect(doomedJobs).toHaveLength(DOOMED);
    expect(doomedJobs.filter((j) => !inDlqEver.has(j.id)).map((j) => j.id)).toEqual([]);
    expect(inDlqEver).toEqual(markedEver);
    // Redriven once the reads work again, each doomed job ran past its receives and then completed.
    expect(doomedJobs.map((j) => ({ status: j.status, ranPastReceives: j.attempts > MAX_RECEIVES }))).toEqual(
      doomedJobs.map(() => ({ status: "completed", ranPastReceives: true })),
    );
    // No job ran more often than its receives allow.
    expect(overBudget.map((j) => ({ id: j.id, attempts: j.attempts, sends: j.send_attempts }))).toEqual([]);
    for (const f of faultsDuringRun.faults) expect(f.injected, `${f.service}:${f.operation}`).toBeGreaterThan(0);

    // Every import answered (after retries of 5xx during the cut) and made exactly one book.
    expect(results.size).toBe(LISTINGS);
    expect(books.length).toBe(LISTINGS);
    expect(new Set(books.map((b) => b.source_item_id))).toEqual(new Set(listings.map((l) => l.id)));
    // Every photo ended copied or failed with a reason; copied photos = original objects.
    expect(images.filter((i) => i.copy_status !== "copied" && i.copy_status !== "failed")).toEqual([]);
    expect(images.filter((i) => i.copy_status === "failed" && !i.copy_error)).toEqual([]);
    expect(copied.length).toBe(originals.size);
    expect(new Set(copied.map((i) => i.s3_key))).toEqual(originals);
    // Every copied photo (the only photo of its listing, so the primary) has exactly one job.
    const jobsByImage = new Map<string, number>();
    for (const j of jobs) jobsByImage.set(j.image_id, (jobsByImage.get(j.image_id) ?? 0) + 1);
    expect(copied.filter((i) => !i.is_primary || jobsByImage.get(i.id) !== 1).map((i) => i.id)).toEqual([]);
    expect(jobs.length).toBe(copied.length);
    // Every job completed, or failed with a reason; nothing stuck.
    expect(jobs.filter((j) => j.status !== "completed" && j.status !== "failed")).toEqual([]);
    expect(failed.filter((j) => !j.last_error)).toEqual([]);
    // The broken photos failed; the good ones did not (faults are transient, they must not fail a photo).
    const brokenIds = new Set(listings.filter((l) => l.broken).map((l) => l.id));
    const bookOf = new Map(books.map((b) => [b.id, b.source_item_id]));
    const imageOf = new Map(images.map((i) => [i.id, i]));
    const failedItems = new Set(failed.map((j) => bookOf.get(imageOf.get(j.image_id)!.book_id)));
    for (const id of failedItems) expect(brokenIds.has(id!), `listing ${id} failed`).toBe(true);
    // Completed jobs = processed objects, each at its image's one deterministic key.
    expect(completed.length).toBe(processed.size);
    const processedKeys = completed.map((j) => {
      const image = imageOf.get(j.image_id)!;
      expect(image.processed_key).toBe(processedKey(image.book_id, image.id));
      return image.processed_key;
    });
    expect(new Set(processedKeys)).toEqual(processed);
    expect(images.filter((i) => i.processed_key && !completed.some((j) => j.image_id === i.id))).toEqual([]);
    // Nothing in the DLQ that is not a failed job.
    const failedIds = new Set(failed.map((j) => j.id));
    for (const body of dlqLeft) expect(failedIds.has(parseImageJobMessage(body).jobId)).toBe(true);

    // No secret in any log line (at debug) or any response body.
    const secrets = stackSecrets(stack!.dataDir, stack!.apiKey, [{ name: "database password", value: db!.password }]);
    expect(findLeaks([...stackLogs(stack!.dataDir), ...bodies], secrets)).toEqual([]);
  }, 1_800_000);
  it("an import cut off by the database between copying and queueing is finished by importing it again", async (ctx) => {
    if (skip) return ctx.skip(skip);
    // Deterministic version of what the cut above can hit by chance: the book and its copied
    // photo are committed, then the connection dies while the job is being inserted.
    const [listing] = await generateListings(fixtureDir, { count: 1, idBase: 730_000_000_000 });
    const url = `https://www.ebay.com/itm/${listing.id}`;
    let first: Answer | undefined;
    let importing: Promise<void> | undefined;
    await db!.sql.begin(async (tx) => {
      await tx`LOCK TABLE image_jobs IN ACCESS EXCLUSIVE MODE`;
      importing = call("POST", "/api/v1/books/import/ebay", { url }).then(
        (a) => {
          first = a;
        },
        (error: Error) => {
          first = { status: -1, body: { error: error.message } };
        },
      );
      let blocked: number | undefined;
      for (let i = 0; i < 200 && !blocked; i++) {
        await sleep(100);
        const [row] = await db!.admin<{ pid: number }[]>`
          SELECT pid FROM pg_stat_activity
          WHERE datname = ${db!.name} AND wait_event_type = 'Lock' AND query ILIKE '%INSERT INTO image_jobs%'`;
        blocked = row?.pid;
      }
      if (blocked) await db!.admin`SELECT pg_terminate_backend(${blocked}::int)`;
      expect(blocked, "the import never reached its job").toBeDefined();
    });
    await importing;
    expect(first!.status).toBeGreaterThanOrEqual(500);

    // The retry a client makes after a 5xx must leave the photo on its way to a cut-out.
    const again = await call("POST", "/api/v1/books/import/ebay", { url });
    expect(again.status).toBe(200);
    const book = again.body!.book as { id: string; photos: { copyStatus: string; isPrimary: boolean }[] };
    expect(book.photos.map((p) => p.copyStatus)).toEqual(["copied"]);
    const deadline = Date.now() + 240_000;
    let processing: { status: string } | null = null;
    while (Date.now() < deadline) {
      const detail = await call("GET", `/api/v1/books/${book.id}`);
      processing = (detail.body!.photos as { processing: { status: string } | null }[])[0].processing;
      if (processing?.status === "completed" || processing?.status === "failed") break;
      await sleep(1000);
    }
    expect(processing?.status).toBe("completed");
  }, 300_000);
  it("the retry sweep re-sends a job left pending by an API cut off before it recorded the send", async (ctx) => {
    if (skip) return ctx.skip(skip);
    // What the chaos run's database cut left behind once: the job row committed as `pending`,
    // the UPDATE after the send lost, and the message lost too: only the sweep can move it.
    const [book] = await db!.sql<{ id: string }[]>`
      INSERT INTO books (source, source_item_id, title) VALUES ('ebay', '740000000001', 'Cut off before the send') RETURNING id`;
    const [image] = await db!.sql<{ id: string }[]>`
      INSERT INTO book_images (book_id, position, source_url, copy_status, s3_key, is_primary)
      VALUES (${book.id}, 0, 'http://fixture/photo-1.jpg', 'copied', ${`books/${book.id}/images/x/original.jpg`}, true) RETURNING id`;
    const [job] = await db!.sql<{ id: string }[]>`
      INSERT INTO image_jobs (image_id, status, created_at, updated_at)
      VALUES (${image.id}, 'pending', now() - interval '2 hours', now() - interval '2 hours') RETURNING id`;
    const swept = await call("POST", "/api/v1/admin/image-jobs/retry", {});
    expect(swept.status).toBe(200);
    const [after] = await db!.sql<
      { status: string; send_attempts: number }[]
    >`SELECT status, send_attempts FROM image_jobs WHERE id = ${job.id}`;
    expect(after.status).not.toBe("pending");
    expect(after.send_attempts).toBe(1);
  });
});
